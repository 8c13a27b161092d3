module example.com/x
tool
tool a b
tool a"b
ignore
ignore a b
ignore "a\"
