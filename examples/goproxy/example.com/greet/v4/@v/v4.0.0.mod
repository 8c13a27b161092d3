module example.com/greet/v4

go 1.21
