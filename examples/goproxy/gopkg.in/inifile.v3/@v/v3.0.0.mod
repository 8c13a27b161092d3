module gopkg.in/inifile.v3

go 1.21
