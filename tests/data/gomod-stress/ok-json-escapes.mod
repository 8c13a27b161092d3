module "example.com/<a>&b"

tool "./\u2028\u2029\x7f\x01\t\"q\"\b\f\u00e9\U0001F600"
