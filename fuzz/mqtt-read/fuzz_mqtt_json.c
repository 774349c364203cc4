/* libFuzzer target: mqtt-read's json payloads (mqtt_fuzz.h says what is checked). */
#define FORMAT "json"
#include "mqtt_fuzz.h"
