   module    example.com/spacing   



go	1.21		// tab separated
require   (   
    example.com/a     v1.0.0
		  example.com/b	v1.1.0   //   indirect  


   )   
require example.com/c v1.0.0//indirect
replace example.com/a  =>  ../a
replace	example.com/b	v1.1.0	=>	example.com/b2	v1.2.0
retract [v0.1.0,v0.2.0]
retract [ v0.3.0 , v0.4.0 ]//  why  
