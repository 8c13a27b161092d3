module example.com/x
toolchain
toolchain 1.21
toolchain go1.21
toolchain go1.22
toolchain golang
