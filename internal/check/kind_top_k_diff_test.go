package check

func init() { jaffleParams[TopKDiff] = Params{"model": "orders", "column_name": "status"} }
