package check

func init() { jaffleParams[Simple] = Params{} }
