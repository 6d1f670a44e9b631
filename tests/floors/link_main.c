/*
 * link_main.c — the program of every floor's link check (floorlink_<floor>
 * in CMakeLists.txt): linked with every object of one floor
 * (--whole-archive) and the floors that floor may use (tests/floors.txt),
 * nothing else. It never runs; that it links is the check: a call from the
 * floor to a floor above it, or to one it does not list, is an undefined
 * reference and fails the build.
 */
int main(void)
{
    return 0;
}
