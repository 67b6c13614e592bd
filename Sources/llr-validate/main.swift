runValidate()
