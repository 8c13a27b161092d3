module example.com/x

/* no */
