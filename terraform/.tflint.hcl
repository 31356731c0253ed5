# tflint with its bundled terraform ruleset, every rule (preset "all"): naming, documented
# and typed variables and outputs, pinned providers, standard module structure, unused
# declarations, deprecated syntax. The AWS ruleset (tflint-ruleset-aws) is a plugin
# downloaded from GitHub releases and cannot be installed offline, so provider-specific
# checks (instance types, argument values) are not made here.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
