module example.com/x
replace a => "./b
"
