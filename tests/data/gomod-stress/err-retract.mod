module example.com/x
retract
retract (
	(
)
retract [
retract [v1.0.0
retract [v1.0.0 v1.1.0]
retract [v1.0.0,
retract [v1.0.0, v1.1.0
retract [v1.0.0, v1.1.0) x
retract v1.0.0 v1.1.0
retract "v1
