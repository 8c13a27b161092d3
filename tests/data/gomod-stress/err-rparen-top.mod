module example.com/x
)
