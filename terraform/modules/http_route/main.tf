# Routes of an HTTP API to one Lambda function: a proxy integration with payload format 2.0
# (the events.APIGatewayV2HTTPRequest awssys.HTTPEvent adapts) and the permission for this
# API, and only these routes, to invoke the function.

locals {
  # execute-api ARN of each route: ANY matches every method, a {param} any path segment(s).
  source_arns = {
    for k in var.route_keys : k => format("%s/*/%s%s", var.api_execution_arn,
      split(" ", k)[0] == "ANY" ? "*" : split(" ", k)[0],
    replace(split(" ", k)[1], "/\\{[^}]+\\}/", "*"))
  }
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = var.api_id
  integration_type       = "AWS_PROXY"
  integration_uri        = var.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = var.timeout_ms
  request_parameters     = var.request_parameters
}

resource "aws_apigatewayv2_route" "this" {
  for_each  = var.route_keys
  api_id    = var.api_id
  route_key = each.value
  target    = "integrations/${aws_apigatewayv2_integration.this.id}"
}

resource "aws_lambda_permission" "this" {
  for_each      = var.route_keys
  statement_id  = "api-${substr(sha256(each.value), 0, 16)}"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = local.source_arns[each.value]
}
