variable "name" {
  description = "Name of the Lambda layer."
  type        = string
}

variable "files" {
  description = "PEM files of the layer: file name (below /opt/brevduva/) to PEM text. Certificates only, never private keys (those stay in KMS)."
  type        = map(string)

  validation {
    condition     = alltrue([for n, pem in var.files : can(regex("^[a-z0-9-]+\\.pem$", n)) && strcontains(pem, "-----BEGIN CERTIFICATE-----")])
    error_message = "Each file is NAME.pem holding PEM certificates."
  }

  validation {
    condition     = alltrue([for pem in values(var.files) : !strcontains(pem, "PRIVATE KEY")])
    error_message = "A certificate layer must not hold a private key."
  }
}

variable "build_dir" {
  description = "Local folder where the layer zip is written before upload."
  type        = string
}
