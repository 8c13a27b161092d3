module example.com/gd

godebug a=
godebug =b
godebug a=b=c
