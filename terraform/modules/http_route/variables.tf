variable "api_id" {
  description = "ID of the API Gateway HTTP API."
  type        = string
}

variable "api_execution_arn" {
  description = "Execution ARN of the API (the Lambda permission is limited to it)."
  type        = string
}

variable "function_name" {
  description = "Name of the Lambda function the routes invoke."
  type        = string
}

variable "invoke_arn" {
  description = "Invoke ARN of the Lambda function."
  type        = string
}

variable "route_keys" {
  description = "Route keys (\"METHOD /path\") served by the function, e.g. [\"POST /kommun-a/as4\"]."
  type        = set(string)

  validation {
    condition     = alltrue([for k in var.route_keys : can(regex("^(ANY|GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) /", k))])
    error_message = "Each route key is METHOD /path."
  }
}

variable "request_parameters" {
  description = "Parameter mapping of the integration (e.g. {\"overwrite:path\" = \"/as4/by-ref\"}); empty: the request goes through unchanged."
  type        = map(string)
  default     = {}
}

variable "timeout_ms" {
  description = "Integration timeout in milliseconds (HTTP APIs allow at most 30000)."
  type        = number
  default     = 29000

  validation {
    condition     = var.timeout_ms >= 50 && var.timeout_ms <= 30000
    error_message = "50 to 30000 ms."
  }
}
