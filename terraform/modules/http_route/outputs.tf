output "route_ids" {
  description = "Route key to route ID."
  value       = { for k, r in aws_apigatewayv2_route.this : k => r.id }
}
