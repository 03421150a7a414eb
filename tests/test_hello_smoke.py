from museokit.sim.harness import Harness
from tests.conftest import REPO


def test_hello_button_wakes_toggles_and_returns_to_attract():
    with Harness.open(REPO / "installations/hello-button") as h:
        h.run_for(1)
        assert h.runtime.current_state() == "attract"
        assert h.device("lamp").label == "pulsing"
        h.act("entrance", "motion")
        h.run_for(0.5)
        assert h.runtime.current_state() == "engaged"
        h.act("door", "press")
        h.run_for(0.1)
        h.act("door", "release")
        h.run_for(1)
        assert h.device("lamp").label == "on"
        h.run_for(25)
        assert h.runtime.current_state() == "attract"
