package check

func init() { jaffleParams[ValueDiff] = Params{"model": "customers", "primary_key": "customer_id"} }
