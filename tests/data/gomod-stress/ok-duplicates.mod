module example.com/dups

require example.com/a v1.0.0
require example.com/a v1.1.0
exclude example.com/a v1.0.0
exclude example.com/a v1.0.0
exclude example.com/a v1.0
replace example.com/a => ./one
replace example.com/a v1.0.0 => ./two
replace example.com/a => ./three
tool example.com/t
tool example.com/t
ignore x
ignore x
