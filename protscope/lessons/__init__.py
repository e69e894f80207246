"""The course's exercises as lessons: runs to launch, what to look at, and a paragraph from the results.

    from protscope.lessons.catalog import LESSONS
    from protscope.lessons.runner import run_lesson
    print(run_lesson(LESSONS["accumulation"]).summary)
"""
