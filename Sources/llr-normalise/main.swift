runNormalise()
