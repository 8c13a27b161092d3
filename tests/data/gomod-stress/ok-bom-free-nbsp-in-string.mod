module "example.com/a b"
