module example.com/x
replace example.com/a=>../a
replace example.com/b v1.1.0 =>example.com/b2 v1.2.0
replace example.com/c =>./c
