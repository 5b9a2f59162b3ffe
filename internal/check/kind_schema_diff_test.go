package check

func init() { jaffleParams[SchemaDiff] = Params{"select": "state:modified+"} }
