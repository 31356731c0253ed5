variable "name_prefix" {
  description = "Prefix of every resource name of this region, e.g. \"brevduva-vgr\" (tenants add their id after it)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,19}$", var.name_prefix))
    error_message = "The prefix is 3 to 20 lower-case letters, digits or hyphens, starting with a letter (names built from it must stay within S3's 63 and Lambda's 64 characters)."
  }
}

variable "lambda_dir" {
  description = "Folder with the zips `make lambda` built: bin/lambda (as4-receive.zip, as4-send.zip, sdk-api.zip, smp.zip, addressbook.zip; arm64, provided.al2023)."
  type        = string
}

variable "build_dir" {
  description = "Local folder for generated layer zips (certificate layers)."
  type        = string
}

variable "as4_domain_name" {
  description = "Public DNS name of the shared AS4 endpoint (API Gateway custom domain with mutual TLS), e.g. as4.vgr.example.se. Tenants are at https://NAME/TENANT/as4."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.as4_domain_name))
    error_message = "A lower-case DNS name."
  }
}

variable "as4_certificate_arn" {
  description = "ACM certificate (same AWS region) of as4_domain_name: the TLS server certificate peers see."
  type        = string

  validation {
    condition     = startswith(var.as4_certificate_arn, "arn:aws:acm:")
    error_message = "An ACM certificate ARN."
  }
}

variable "as4_ownership_verification_certificate_arn" {
  description = "ACM-issued certificate proving ownership of as4_domain_name; API Gateway requires it for mutual TLS when as4_certificate_arn is imported or from a private CA (null: not needed)."
  type        = string
  default     = null
}

variable "api_domain_name" {
  description = "Public DNS name of the SDK API, SMP and address book (custom domain without client certificates), e.g. api.vgr.example.se."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.api_domain_name))
    error_message = "A lower-case DNS name."
  }
}

variable "api_certificate_arn" {
  description = "ACM certificate (same AWS region) of api_domain_name."
  type        = string

  validation {
    condition     = startswith(var.api_certificate_arn, "arn:aws:acm:")
    error_message = "An ACM certificate ARN."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone for alias records of both domain names (null: create the DNS records yourself from the outputs)."
  type        = string
  default     = null
}

variable "trust_pem" {
  description = <<-EOT
    PEM certificate bundles of the environment (README: certificates):
    mtls_truststore – CAs whose client certificates may open TLS to the AS4 endpoint (API Gateway truststore): the SITHS e-id Function CA chain (DIGG's mtls truststore) and DIGG's access point CA chain, since Brevduva and other APs present their AP certificate as TLS client certificate;
    ap – DIGG's access point CA chain (BREVDUVA_AP_TRUST: peer AS4 signatures, SMP endpoint certificates), e.g. Accesspunkt CA-OPEN-TEST and Rot CA eDelivery Accesspunkt-TEST;
    tls_roots – CAs of peer APs' and SMPs' TLS server certificates (BREVDUVA_TLS_ROOTS);
    smp_roots – DIGG's SMP signing CA (BREVDUVA_SMP_ROOTS), e.g. Rot CA eDelivery SMP-TEST;
    o2o – CAs of organisations' O2O certificates in CertPub (BREVDUVA_O2O_TRUST): SITHS e-id Function CA, EFOS, Expitrust.
  EOT
  type = object({
    mtls_truststore = string
    ap              = string
    tls_roots       = string
    smp_roots       = string
    o2o             = string
  })

  validation {
    condition     = alltrue([for pem in values(var.trust_pem) : strcontains(pem, "-----BEGIN CERTIFICATE-----") && !strcontains(pem, "PRIVATE KEY")])
    error_message = "Each bundle holds PEM certificates and no private key."
  }
}

variable "sml_zone" {
  description = "SML/BDXL DNS zone of the environment (BREVDUVA_SML_ZONE), used by every tenant's engine functions for discovery."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.sml_zone))
    error_message = "A lower-case DNS zone."
  }
}

variable "dns_server" {
  description = "DNS server HOST:PORT for BDXL lookups (BREVDUVA_DNS_SERVER); null uses the function's resolver."
  type        = string
  default     = null

  validation {
    condition     = var.dns_server == null || can(regex("^[^:]+:[0-9]+$", var.dns_server))
    error_message = "HOST:PORT."
  }
}

variable "crl_urls" {
  description = "CRL URLs checked for every peer AP and O2O certificate (BREVDUVA_CRL_URLS), e.g. DIGG's https://test.ca.edelivery.digg.se/crl/aprot.crl; fail closed: a CRL that cannot be fetched refuses its CA's certificates (docs/design/crl.md). Empty: no revocation check."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for u in var.crl_urls : can(regex("^https?://[^,\\s]+$", u))])
    error_message = "Each CRL URL is http(s) and holds no comma or space."
  }
}

variable "smp_cert_pem" {
  description = "PEM chain (leaf first) of the SMP signing certificate from DIGG's SMP CA, whose key was imported into the SMP KMS key (README: certificates)."
  type        = string

  validation {
    condition     = strcontains(var.smp_cert_pem, "-----BEGIN CERTIFICATE-----") && !strcontains(var.smp_cert_pem, "PRIVATE KEY")
    error_message = "PEM certificates only."
  }
}

variable "rsa_key_spec" {
  description = "KMS key spec of the SMP signing key (the key material imported must match)."
  type        = string
  default     = "RSA_3072"

  validation {
    condition     = contains(["RSA_2048", "RSA_3072", "RSA_4096"], var.rsa_key_spec)
    error_message = "RSA_2048, RSA_3072 or RSA_4096 (kmskeys supports RSA only)."
  }
}

variable "smp_admin_token_secret_arn" {
  description = "Secrets Manager secret (created by you, outside Terraform) holding the SMP admin API bearer token (BREVDUVA_SMP_ADMIN_TOKEN)."
  type        = string

  validation {
    condition     = startswith(var.smp_admin_token_secret_arn, "arn:aws:secretsmanager:")
    error_message = "A Secrets Manager secret ARN."
  }
}

variable "addressbook_admin_token_secret_arn" {
  description = "Secrets Manager secret (created by you) holding the address book admin API bearer token (BREVDUVA_ADDRESSBOOK_ADMIN_TOKEN)."
  type        = string

  validation {
    condition     = startswith(var.addressbook_admin_token_secret_arn, "arn:aws:secretsmanager:")
    error_message = "A Secrets Manager secret ARN."
  }
}

variable "oauth_issuer" {
  description = "`iss` of the core/oauth access tokens (EdDSA) the tenants' SDK APIs accept (BREVDUVA_OAUTH_ISSUER). Null: none; each tenant then needs its OpenID provider (tenant variable oidc)."
  type        = string
  default     = null
}

variable "oauth_public_key" {
  description = "Standard base64 of that issuer's 32-byte Ed25519 public key (BREVDUVA_OAUTH_PUBLIC_KEY); set together with oauth_issuer."
  type        = string
  default     = null

  validation {
    condition     = (var.oauth_public_key == null) == (var.oauth_issuer == null) && (var.oauth_public_key == null || length(coalesce(var.oauth_public_key, "x")) == 44)
    error_message = "Set oauth_issuer and oauth_public_key together; the key is base64 (44 characters) of a 32-byte Ed25519 public key."
  }
}

variable "log_level" {
  description = "BREVDUVA_LOG_LEVEL of every function."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "debug, info, warn or error."
  }
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group (functions and API access logs), in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "A retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "large_message_retention_days" {
  description = "Days an AS4 message the edge front door streamed into the large-message bucket is kept (the receive function reads it at once)."
  type        = number
  default     = 2

  validation {
    condition     = var.large_message_retention_days >= 1
    error_message = "At least one day."
  }
}

variable "backstop_interval_minutes" {
  description = "Every how many minutes each tenant's backstop schedule signals its wake-up queue (lost signals, items due more than 15 minutes ahead)."
  type        = number
  default     = 5

  validation {
    condition     = var.backstop_interval_minutes >= 1 && var.backstop_interval_minutes <= 15
    error_message = "1 to 15 minutes (SQS delays signals at most 15 minutes, so the backstop must not be rarer)."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (null: subscribe yourself)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of every resource of the region and its tenants."
  type        = map(string)
  default     = {}
}
