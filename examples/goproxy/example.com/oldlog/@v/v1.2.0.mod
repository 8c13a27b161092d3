module example.com/oldlog

go 1.21
