variable "aws_region" {
  description = "AWS region of the deployment."
  type        = string
  default     = "eu-north-1"
}

variable "repo_root" {
  description = "Path of the Brevduva repository (where `make lambda` wrote bin/lambda/*.zip)."
  type        = string
  default     = "../../.."
}

variable "pki_dir" {
  description = "Folder of the PEM files this example reads (README: certificates): the CA bundles of the environment and the certificates of the SMP and of both municipalities."
  type        = string
  default     = "pki"
}

variable "as4_domain_name" {
  description = "DNS name of the region's AS4 endpoint."
  type        = string
  default     = "as4.region.example.se"
}

variable "as4_certificate_arn" {
  description = "ACM certificate of as4_domain_name."
  type        = string
}

variable "api_domain_name" {
  description = "DNS name of the region's SDK API, SMP and address book."
  type        = string
  default     = "api.region.example.se"
}

variable "api_certificate_arn" {
  description = "ACM certificate of api_domain_name."
  type        = string
}

variable "route53_zone_id" {
  description = "Hosted zone for the two domain names (null: create the records yourself)."
  type        = string
  default     = null
}

variable "sml_zone" {
  description = "SML/BDXL zone of the environment (DIGG's test SML for OPEN-TEST)."
  type        = string
}

variable "smp_admin_token_secret_arn" {
  description = "Secrets Manager secret with the SMP admin token."
  type        = string
}

variable "addressbook_admin_token_secret_arn" {
  description = "Secrets Manager secret with the address book admin token."
  type        = string
}

variable "oauth_issuer" {
  description = "Issuer of the SDK API access tokens."
  type        = string
}

variable "oauth_public_key" {
  description = "Base64 Ed25519 public key of the token issuer."
  type        = string
}

variable "kommun_a_edge_secret_arn" {
  description = "Secrets Manager secret shared with Kommun A's edge Worker (null: no edge front door)."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "Who gets the alarms (null: nobody yet)."
  type        = string
  default     = null
}
