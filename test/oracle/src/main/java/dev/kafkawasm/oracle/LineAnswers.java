package dev.kafkawasm.oracle;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;

/** The oracle's question-per-line programs: one answer line on stdout for each non-empty line of stdin, in order. */
final class LineAnswers {
    interface Answer {
        String to(String question) throws Exception;
    }

    private LineAnswers() {}

    static void run(Answer answer) throws Exception {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
             BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) continue;
                out.write(answer.to(line));
                out.write('\n');
            }
        }
    }
}
