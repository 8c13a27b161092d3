module gopkg.in/inifile.v2

go 1.21
