module example.com/x
ÿþ v1
