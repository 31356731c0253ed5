output "as4_endpoints" {
  description = "AS4 endpoint URL of each municipality (register in the SMP)."
  value = {
    kommun-a = module.kommun_a.as4_endpoint_url
    kommun-b = module.kommun_b.as4_endpoint_url
  }
}

output "sdk_api_base_urls" {
  description = "SDK API base URL of each municipality."
  value = {
    kommun-a = module.kommun_a.sdk_api_base_url
    kommun-b = module.kommun_b.sdk_api_base_url
  }
}

output "kms_keys" {
  description = "KMS keys to import key material into (ap-*, o2o-*, and the region's SMP key)."
  value = {
    smp      = module.region.smp_signing_key
    kommun-a = module.kommun_a.kms_keys
    kommun-b = module.kommun_b.kms_keys
  }
}

output "dns" {
  description = "DNS targets of the two custom domains."
  value = {
    as4 = module.region.as4_domain
    api = module.region.api_domain
  }
}

output "smp_url" {
  description = "The region's SMP URL."
  value       = module.region.smp_url
}

output "edge" {
  description = "Hooks for the edge front door (issue 8)."
  value = merge(module.region.edge, {
    tenants = {
      kommun-a = module.kommun_a.edge
      kommun-b = module.kommun_b.edge
    }
  })
}
