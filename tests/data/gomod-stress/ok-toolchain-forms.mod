module example.com/tc

go 1.21rc1

toolchain go1.21rc1-custom+x
