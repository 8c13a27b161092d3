module example.com/rep

replace example.com/a => .
replace example.com/b => ..
replace example.com/c => ./x
replace example.com/d => ../x
replace example.com/f => /x
replace example.com/g => C:x
replace example.com/h v1.0.0 => example.com/h2 v1.0.0
replace example.com/i/v2 v2.1.0 => example.com/i v1.0.0
replace gopkg.in/j.v1 v1.0.0 => gopkg.in/j.v2 v2.0.0
