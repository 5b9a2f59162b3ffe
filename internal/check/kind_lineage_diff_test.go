package check

func init() { jaffleParams[LineageDiff] = Params{"select": "state:modified+"} }
