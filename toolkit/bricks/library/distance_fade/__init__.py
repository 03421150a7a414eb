# museokit brick package marker: not part of the brick
