# A function module whose functions share a role passed in.
variable "package" {
  type = string
}

variable "role_arn" {
  description = "A role made elsewhere (the fault)."
  type        = string
}

variable "environment" {
  description = "Environment."
  type        = map(string)
}

resource "aws_lambda_function" "this" {
  function_name = var.package
  role          = var.role_arn
  filename      = "bin/lambda/${var.package}.zip"

  environment {
    variables = var.environment
  }
}
