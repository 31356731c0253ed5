variable "region" {
  description = "The region module's `tenant_context` output, unchanged."
  type = object({
    name_prefix               = string
    lambda_dir                = string
    build_dir                 = string
    as4_api_id                = string
    as4_api_execution_arn     = string
    as4_base_url              = string
    public_api_id             = string
    public_api_execution_arn  = string
    public_base_url           = string
    large_message_bucket      = string
    large_message_bucket_arn  = string
    large_message_prefix      = string
    schedule_group            = string
    backstop_interval_minutes = number
    alarm_topic_arn           = string
    log_retention_days        = number
    log_level                 = string
    sml_zone                  = string
    dns_server                = optional(string)
    crl_urls                  = list(string)
    oauth_issuer              = optional(string)
    oauth_public_key          = optional(string)
    ap_trust_pem              = string
    tls_roots_pem             = string
    smp_roots_pem             = string
    o2o_trust_pem             = string
    tags                      = map(string)
  })
}

variable "tenant" {
  description = "Tenant id of the municipality (BREVDUVA_TENANT), e.g. \"kommun-a\": part of resource names, the AS4 path /TENANT/as4 and the SDK API path /TENANT/sdk-api/v1. Stricter than msh.ValidateTenant so that it fits bucket and function names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.tenant))
    error_message = "2 to 16 lower-case letters, digits or hyphens, starting with a letter (with the region's prefix it names buckets and functions, whose names are limited)."
  }
}

variable "participant" {
  description = "The municipality's participant id (BREVDUVA_PARTICIPANT), e.g. \"0203:kommun-a.se\"."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{4}:[^\\s]+$", var.participant))
    error_message = "SCHEME:VALUE, e.g. 0203:kommun-a.se."
  }
}

variable "ap_party_id" {
  description = "The access point's PartyId: the CN of its AP certificate from DIGG's AP CA (BREVDUVA_AP_PARTY_ID)."
  type        = string

  validation {
    condition     = length(trimspace(var.ap_party_id)) > 0
    error_message = "The AP party id must not be empty."
  }
}

variable "function_addresses" {
  description = "Function addresses (mailboxes) the municipality receives for, e.g. [\"registrator\", \"socialtjansten\"] (BREVDUVA_FUNCTION_ADDRESSES)."
  type        = list(string)

  validation {
    condition     = length(var.function_addresses) > 0 && alltrue([for a in var.function_addresses : can(regex("^[^,\\s]+$", a))])
    error_message = "At least one address; addresses hold no comma or space."
  }
}

variable "as4_cert_pem" {
  description = "PEM chain (leaf first) of the AP certificate from DIGG's AP CA, whose key pair was imported into both AP KMS keys (BREVDUVA_AS4_CERT)."
  type        = string

  validation {
    condition     = strcontains(var.as4_cert_pem, "-----BEGIN CERTIFICATE-----") && !strcontains(var.as4_cert_pem, "PRIVATE KEY")
    error_message = "PEM certificates only."
  }
}

variable "end_to_end" {
  description = "End-to-end mode: the organisation's O2O key stays in the case workers' browsers, so no O2O KMS keys are created and BREVDUVA_O2O_KEY/BREVDUVA_O2O_CERT are not set."
  type        = bool
  default     = false
}

variable "o2o_cert_pem" {
  description = "PEM chain (leaf first) of the organisation's O2O function certificate (SITHS, EFOS or Expitrust), whose key pair was imported into both O2O KMS keys (BREVDUVA_O2O_CERT). Null only in end-to-end mode."
  type        = string
  default     = null

  validation {
    condition     = var.o2o_cert_pem == null || (strcontains(coalesce(var.o2o_cert_pem, "x"), "-----BEGIN CERTIFICATE-----") && !strcontains(coalesce(var.o2o_cert_pem, "x"), "PRIVATE KEY"))
    error_message = "PEM certificates only."
  }
}

variable "rsa_key_spec" {
  description = "KMS key spec of the AP and O2O keys; the imported key material must match (DIGG's AP CA issues RSA certificates)."
  type        = string
  default     = "RSA_3072"

  validation {
    condition     = contains(["RSA_2048", "RSA_3072", "RSA_4096"], var.rsa_key_spec)
    error_message = "RSA_2048, RSA_3072 or RSA_4096 (kmskeys supports RSA only)."
  }
}

variable "payload_expire_days" {
  description = "Delete payload objects this many days after they were written (null: keep until the engine deletes them)."
  type        = number
  default     = null

  validation {
    condition     = var.payload_expire_days == null || coalesce(var.payload_expire_days, 1) >= 1
    error_message = "At least one day."
  }
}

variable "payload_noncurrent_days" {
  description = "Days a deleted payload stays recoverable as a noncurrent object version."
  type        = number
  default     = 30
}

variable "dlq_max_receive_count" {
  description = "Receives of a wake-up signal whose handling keeps failing before SQS moves it to the DLQ (redrive maxReceiveCount)."
  type        = number
  default     = 5

  validation {
    condition     = var.dlq_max_receive_count >= 1 && var.dlq_max_receive_count <= 1000
    error_message = "1 to 1000."
  }
}

variable "worker_timeout" {
  description = "Timeout in seconds of as4-send (the worker); the queue's visibility timeout is six times this (AWS's advice for event source mappings)."
  type        = number
  default     = 120

  validation {
    condition     = var.worker_timeout >= 30 && var.worker_timeout <= 150
    error_message = "30 to 150 seconds (the visibility timeout of 6x must stay below SQS's 12 hours, and a drain of 50 items needs time)."
  }
}

variable "memory_size" {
  description = "Memory (MB) of the tenant's functions: AS4 and O2O work is CPU-bound, and Lambda's CPU share grows with memory."
  type        = number
  default     = 1024
}

variable "audit_retention_months" {
  description = "Months the tenant's audit trail keeps entries (BREVDUVA_AUDIT_RETENTION_MONTHS); every cold start prunes older ones (docs/design/audit.md). The required retention is not stated by DIGG (spec-facts §k 25)."
  type        = number
  default     = 12

  validation {
    condition     = var.audit_retention_months >= 1 && floor(var.audit_retention_months) == var.audit_retention_months
    error_message = "A whole number of months, at least 1."
  }
}

variable "receipt_timeout" {
  description = "How long a sent message may wait for its Meddelandekvittens before it ends MESSAGE_EXCHANGE_ERROR (BREVDUVA_RECEIPT_TIMEOUT, a Go duration such as \"72h\"). Null: wait for ever. DIGG publishes no timeout (spec-facts §k 17); an end-to-end recipient answers only when a person opens the message, so keep it long."
  type        = string
  default     = null

  validation {
    condition     = var.receipt_timeout == null || can(regex("^([0-9]+(\\.[0-9]+)?(h|m|s))+$", var.receipt_timeout))
    error_message = "A Go duration of hours, minutes and seconds, such as \"72h\" or \"90m\"."
  }
}

variable "oidc" {
  description = "The municipality's OpenID provider, whose tokens its SDK API accepts (BREVDUVA_OIDC_*): issuer URL, audience, and optionally the claims holding the tenant, the scopes and the function addresses. Null: only the region's core/oauth tokens."
  type = object({
    issuer                   = string
    audience                 = string
    tenant_claim             = optional(string)
    scope_claim              = optional(string)
    function_addresses_claim = optional(string)
  })
  default = null

  validation {
    condition     = var.oidc == null || startswith(try(var.oidc.issuer, ""), "https://")
    error_message = "The issuer is an https URL."
  }
}

variable "cors_origins" {
  description = "Origins (https://host[:port]) of web pages on another origin that may call the SDK API (BREVDUVA_CORS_ORIGINS)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.cors_origins : can(regex("^https://[^/,\\s]+$", o))])
    error_message = "Each origin is https://host[:port], without a path."
  }
}

variable "receipt_failure_threshold" {
  description = "Receipt failures (AS4 receipts missing or invalid, retries spent, no Meddelandekvittens in time) in 15 minutes at which the receipt alarm fires."
  type        = number
  default     = 1
}

variable "edge_secret_arn" {
  description = "Secrets Manager secret holding the HMAC key shared with this tenant's edge Worker (its BYREF_SECRET; BREVDUVA_EDGE_SECRET). Null: no edge front door, messages only take the buffered path (up to ~4.5 MB)."
  type        = string
  default     = null

  validation {
    condition     = var.edge_secret_arn == null || startswith(coalesce(var.edge_secret_arn, "x"), "arn:aws:secretsmanager:")
    error_message = "A Secrets Manager secret ARN."
  }
}
