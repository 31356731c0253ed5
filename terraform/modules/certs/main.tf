# A Lambda layer of PEM certificate files. Lambda allows only 4 KB of environment
# variables in total, too little for certificate chains and trust bundles inline, so the
# BREVDUVA_*_CERT/_TRUST/_ROOTS variables name files: a layer is unpacked below /opt, and
# awssys reads a value that does not start with "-----BEGIN" as a file path.

data "archive_file" "this" {
  type        = "zip"
  output_path = "${var.build_dir}/${var.name}.zip"

  dynamic "source" {
    for_each = var.files

    content {
      filename = "brevduva/${source.key}"
      content  = source.value
    }
  }
}

resource "aws_lambda_layer_version" "this" {
  layer_name               = var.name
  description              = "Brevduva certificates: ${join(", ", sort(keys(var.files)))}"
  filename                 = data.archive_file.this.output_path
  source_code_hash         = data.archive_file.this.output_base64sha256
  compatible_runtimes      = ["provided.al2023"]
  compatible_architectures = ["arm64"]
}
