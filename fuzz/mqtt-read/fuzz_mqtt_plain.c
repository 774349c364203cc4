/* libFuzzer target: mqtt-read's plain payloads (mqtt_fuzz.h says what is checked). */
#define FORMAT "plain"
#include "mqtt_fuzz.h"
