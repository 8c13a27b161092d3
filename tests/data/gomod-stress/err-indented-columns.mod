module example.com/x

  	  requir example.com/a v1.0.0
é x
