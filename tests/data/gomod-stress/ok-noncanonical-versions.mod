module example.com/versions

require (
	example.com/a v1
	example.com/b v1.2
	example.com/c v1.2.3+build.5
	example.com/d/v3 v3.0.0-rc.1
	example.com/e v0.0.0-20191109021931-daa7c04131f5
	gopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405
)
exclude example.com/a v1.5
replace example.com/b v1.2 => example.com/bb v1
retract [v1.0.0-beta, v1.0.0]
