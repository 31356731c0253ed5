output "arn" {
  description = "ARN of the layer version."
  value       = aws_lambda_layer_version.this.arn
}

output "paths" {
  description = "Path of each file inside the function (file name to /opt/brevduva/NAME)."
  value       = { for n in keys(var.files) : n => "/opt/brevduva/${n}" }
}
