package check

func init() { jaffleParams[RowCountDiff] = Params{"select": "state:modified+"} }
