module example.com/x
replace example.com/a
replace example.com/a => 
replace example.com/a v1.0.0 => example.com/b
replace example.com/a => example.com/b@v1.0.0
replace example.com/a => ./b v1.0.0
replace example.com/a => .\\b
replace example.com/a/v1 => ./b
replace example.com/a/v2 v1.0.0 => ./b
replace example.com/a bad => ./b
replace example.com/a => example.com/b bad
replace example.com/a => ./b extra more
replace "example.com/a\" => ./b
replace example.com/a => "./b\"
replace example.com/a v1.0.0 v1.0.0 => ./b
