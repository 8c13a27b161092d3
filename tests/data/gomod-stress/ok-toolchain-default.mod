module example.com/tc

go 1.21.0

toolchain default
