/* libFuzzer target: mqtt-read's shelly payloads (mqtt_fuzz.h says what is checked). */
#define FORMAT "shelly"
#include "mqtt_fuzz.h"
