// A log header that reaches up into the cleaner: check_layers.py must refuse it.
#include "cloudlog/cleaner/engine.hpp"
