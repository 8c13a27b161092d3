module example.com/x
go
go 1.2.3.4
go 1.21
go 1.22
go v1.21
go 1.21 extra
