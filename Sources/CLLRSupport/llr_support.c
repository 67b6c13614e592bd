#include "llr_support.h"
