"""한국어 메시지: `en.py`와 같은 키, 같은 자리표시자. 노트의 용어를 그대로 씁니다 (필터, 커널 사이즈,
스트라이드, 패딩, 활성화 함수, 에폭, 배치, 셔플, 시그모이드, 소프트맥스, 교차 엔트로피, 이진 교차 엔트로피, 메트릭)."""

MESSAGES: dict[str, str] = {
    # -- 낱말 -------------------------------------------------------------------------------------
    "word.class": "클래스",
    "word.true": "정답 클래스",
    "word.target": "정답",
    "word.term": "항",
    "word.window": "윈도우",
    "word.kernel": "커널",
    "word.products": "곱",
    # -- explain loss ---------------------------------------------------------------------------
    "loss.test_image": "{dataset}의 테스트 이미지 #{index}",
    "loss.user_image": "{image}",
    "loss.label_guess": "(이 그림의 정답 클래스가 주어지지 않아 네트워크가 고른 {name}을(를) 정답으로 씁니다; --label로 지정하세요)",
    "loss.true_class": "정답 클래스: {name} (인덱스 {index})",
    "loss.softmax_formula": "소프트맥스: p_k = exp(z_k) / sum_j exp(z_j); 확률의 합은 1",
    "loss.softmax_true": "p(정답) = exp({logit} - {max}) / {sum} = {p}   (가장 큰 로짓을 빼서 exp가 넘치지 않게 합니다)",
    "loss.cross_entropy": "교차 엔트로피 = -log p(정답) = -log({p}) = {loss}",
    "loss.sigmoid_formula": "시그모이드: p_k = 1 / (1 + exp(-z_k)), 클래스마다 따로 묻는 예/아니오 질문 (합이 1일 필요 없음)",
    "loss.binary_cross_entropy": "이진 교차 엔트로피 = {n}개 항의 합 = {loss}",
    "loss.binary_why": "({n}개 클래스가 저마다 예/아니오 질문이 되어 자기 항을 더하므로, 교차 엔트로피가 세는 정답 클래스의 항 "
                       "하나보다 합이 큽니다)",
    # -- explain conv ---------------------------------------------------------------------------
    "conv.head": "레이어 {layer} conv2d, 필터 {filter}, 출력 위치 행 {row}, 열 {col} ({shape} 중)",
    "conv.settings": "커널 사이즈 {kh}x{kw}, 스트라이드 {sh}x{sw}, 패딩 {padding}: 0 패딩 위 {top}, 아래 {bottom}, "
                     "왼쪽 {left}, 오른쪽 {right}",
    "conv.window": "입력의 행 {r0}..{r1}, 열 {c0}..{c1}을 읽습니다  (행 {row} x 스트라이드 {sh} - {top}, "
                   "열 {col} x 스트라이드 {sw} - {left}); · = 0 패딩 칸",
    "conv.normalised": "(입력은 정규화된 이미지입니다: (픽셀 / 255 - 평균) / 표준편차, 네트워크가 보는 그대로)",
    "conv.channel": "입력 채널 {c}:",
    "conv.many_channels": "입력 채널 {n}개: 채널마다 커널이 따로 있습니다; 채널별 윈도우 x 커널의 합 "
                          "(모든 숫자는 --json에):",
    "conv.sum": "{n}개 곱의 합 = {total}; + 편향 {bias} = {value}",
    "conv.sum_no_bias": "{n}개 곱의 합 = {value} (편향 없음: use_bias = false, 배치 정규화가 베타를 더합니다)",
    "conv.check": "네트워크의 특징 맵에서 그 자리의 값: {value}",
    "conv.batchnorm": "레이어 {layer} 배치 정규화: ({x} - 평균 {mean}) / sqrt(분산 {var} + {eps}) x 감마 {gamma} "
                      "+ 베타 {beta} = {value}",
    "conv.activation": "레이어 {layer} 활성화 함수 {activation}: {activation}({x}) = {value}",
    "conv.unchanged": "레이어 {layer} {type}: {value} (예측할 때는 그대로)",
    # -- explain padding / strides --------------------------------------------------------------
    "padding.head": "입력 {size}픽셀, 커널 사이즈 {kernel}, 스트라이드 {strides}:",
    "padding.valid": "VALID (패딩 없음):  출력 {arithmetic}",
    "padding.valid_none": "VALID (패딩 없음):  {arithmetic}: 출력 없음, {kernel}픽셀 커널이 들어가지 않습니다",
    "padding.same": "SAME (0 패딩):      출력 {arithmetic}",
    "padding.same_total": "SAME 패딩 = (출력 - 1) x 스트라이드 + 커널 사이즈 - 입력 = ({out} - 1) x {strides} + {kernel} - "
                          "{size} = {total}칸 (0보다 작으면 0): 앞(위/왼쪽) {before}, 뒤(아래/오른쪽) {after}",
    "padding.odd": "합이 홀수입니다: TensorFlow는 남는 0 한 칸을 아래/오른쪽에 두고, mnistlab도 그렇게 합니다 "
                   "(PyTorch의 padding='same'은 스트라이드 1만 받습니다)",
    "padding.wrote": "{path} 저장",
    "padding.title": "입력 {size}, 커널 사이즈 {kernel}, 스트라이드 {strides}",
    "padding.panel_valid": "VALID, 패딩 없음: 한 변의 출력 {arithmetic}",
    "padding.panel_same": "SAME: 한 변의 출력 {arithmetic}; 0 패딩 위/왼쪽 {before}, 아래/오른쪽 {after}",
    "padding.legend_input": "입력 픽셀",
    "padding.legend_zero": "0 패딩",
    "padding.legend_window": "출력 (행, 열)의 커널 윈도우: 첫째, 다음, 마지막",
    # -- 학습과 평가 출력 ------------------------------------------------------------------------
    "train.run_folder": "실행 폴더: {path}",
    "train.quiet_result": "{path}: 테스트 정확도 {accuracy}",
    "train.bar": "에폭 {epoch}/{epochs}",
    "train.epochs": "{n} 에폭",
    "train.epoch_one": "1 에폭",
    "train.epoch_line": "에폭 {epoch}: 손실 {loss} 정확도 {accuracy}",
    "train.epoch_val": " | 검증 손실 {val_loss} 검증 정확도 {val_accuracy}",
    "train.epoch_tail": " | 학습률 {lr} | {seconds}초",
    "train.result": "테스트 정확도 {accuracy}  테스트 손실 {loss}  ({ran}, {seconds}초)",
    "train.target_reached": "목표 {metric} {target}에 에폭 {epoch}, {seconds}초 만에 도달",
    "train.target_missed": "목표 {metric} {target}에 {ran} 동안 도달하지 못함",
    "evaluate.title": "{run}, {dataset} ({split} 데이터)",
    "evaluate.headline": "이미지: {count}  손실: {loss}  정확도: {accuracy}  {topk}: {topk_value}  매크로 F1: {f1}",
    "evaluate.columns": "   정밀도  재현율      f1     개수",
    "evaluate.confusion": "혼동 행렬 (행: 정답 클래스, 열: 예측)",
    # -- summary --------------------------------------------------------------------------------
    "summary.layer": "레이어",
    "summary.output_shape": "출력 모양",
    "summary.how": "모양 계산",
    "summary.params": "파라미터",
    "summary.macs": "곱셈-덧셈",
    "summary.input": "입력",
    "summary.settings": "설정 (filters 필터, kernel_size 커널 사이즈, strides 스트라이드, padding 패딩, activation 활성화 함수):",
    "summary.total": "출력층: {head}  전체 파라미터: {params}  이미지당 곱셈-덧셈: {macs} ({mflops} MFLOPs)",
    "summary.metrics": "메트릭: {metrics}  손실: {loss}",
    "name.softmax": "소프트맥스",
    "name.sigmoid": "시그모이드",
    "name.cross_entropy": "교차 엔트로피",
    "name.binary_cross_entropy": "이진 교차 엔트로피",
    # -- 리포트: 섹션, 노트의 빈칸 채우기 ---------------------------------------------------------------
    "report.section.overview": "개요",
    "report.section.model": "모델",
    "report.section.training": "학습",
    "report.section.test": "테스트 결과",
    "report.section.mistakes": "틀린 예측",
    "report.section.filters": "학습된 필터",
    "report.section.feature-maps": "특징 맵과 예측",
    "report.settings": "설정 (필터, 커널 사이즈, 스트라이드, 패딩, 활성화 함수)",
    "notes.title": "노트의 빈칸 채우기",
    "notes.border_title": "레이어 0의 실제 입력 ({size} x {size}), 커널 사이즈 {kernel}, 스트라이드 {strides}",
    "notes.legend_first": "출력 (0, 0)의 윈도우",
    "notes.legend_last": "마지막 출력의 윈도우",
    "notes.h_padding": "패딩: 0 테두리, VALID와 SAME 비교",
    "notes.p_padding": "첫 번째 합성곱 레이어(레이어 {layer}, 패딩 {padding})는 정규화된 테스트 이미지를 읽습니다. "
                       "SAME은 그 둘레에 0을 덧대어 모든 픽셀이 윈도우를 갖게 하고, 출력은 한 변에 ceil(입력 / 스트라이드)입니다; "
                       "VALID는 아무것도 덧대지 않아 윈도우가 그림 끝에서 멈추고, 출력은 스트라이드로 나누기 전에 "
                       "커널 사이즈 - 1만큼 줄어듭니다.",
    "notes.h_conv": "합성곱 한 걸음, 숫자로",
    "notes.p_conv": "이 이미지에서 필터 0이 가장 강하게 반응한 자리: 커널을 윈도우 위에 놓고, 마주한 숫자끼리 곱하고, "
                    "곱을 모두 더한 뒤 편향을 더합니다. 그 합이 특징 맵의 한 칸이고, 그다음 배치 정규화와 활성화 함수가 "
                    "그 값에 작용합니다.",
    "notes.step_where": "위치: 출력 ({row}, {col})",
    "notes.step_kernel": "필터 {filter}의 커널",
    "notes.step_products": "윈도우 x 커널, 합: {total}",
    "notes.step_title": "레이어 {layer}: 윈도우 x 커널의 합 + 편향 = {value}",
    "notes.step_title_no_bias": "레이어 {layer}: 윈도우 x 커널의 합 = {value} (편향 없음)",
    "notes.h_activation": "이 네트워크의 활성화 함수",
    "notes.p_activation": "각 활성화 함수는 네트워크가 실제로 쓰는 모듈로 그렸습니다; 빨간 점은 위의 합성곱 한 걸음입니다. "
                          "activation = linear인 합성곱 뒤에 배치 정규화와 활성화 레이어가 따로 오는 것은 같은 생각을 "
                          "세 레이어로 나눈 것입니다: 활성화 함수가 값을 구부리기 전에 배치 정규화가 합성곱의 출력을 "
                          "정규화합니다.",
    "notes.activation_title": "활성화 함수 = {name}",
    "notes.activation_x": "입력",
    "notes.h_loss": "테스트 이미지 하나의 손실",
    "notes.h_steps": "에폭당 스텝 수",
    "notes.steps": "에폭당 스텝 수 = ceil(학습 이미지 수 / 배치 크기) = ceil({images} / {batch}) = {steps}; 마지막 배치에는 "
                   "이미지 {last}개가 들어갑니다. {epochs} 에폭은 가중치 업데이트 {total}번입니다.",
    "notes.h_shuffle": "셔플이 바꾸는 것",
    "notes.shuffle_used": "이 실행은 shuffle = true(셔플)로 학습했습니다: 에폭마다 학습 이미지를 새 무작위 순서로 보므로 "
                          "각 배치에 클래스가 고르게 섞입니다.",
    "notes.shuffle_unused": "이 실행은 shuffle = false로 학습했습니다: 에폭마다 학습 이미지를 파일 순서대로 봅니다. "
                            "아래는 실제로 쓴 첫 배치와 셔플했다면 뽑았을 배치입니다.",
    "notes.shuffle_col": "에폭 1, 첫 배치",
    "notes.shuffle_labels": "처음 {n}개의 레이블",
    "notes.shuffle_counts": "배치 안의 클래스별 이미지 수",
    "notes.shuffle_off": "셔플 없이 (파일 순서)",
    "notes.shuffle_on": "셔플 (이 실행의 시드)",
    "notes.shuffle_note": "MNIST 파일은 이미 섞인 순서라 여기서는 차이가 작습니다; 클래스별로 읽는 폴더 데이터셋이라면 "
                          "셔플 없이 한 클래스만으로 된 배치가 나옵니다.",
    # -- 스튜디오 페이지 (data-i18n 키) ----------------------------------------------------------
    "studio.tab_draw": "그리기",
    "studio.tab_train": "학습",
    "studio.tab_runs": "실행 목록",
    "studio.model": "모델",
    "studio.draw_title": "숫자를 그려 보세요",
    "studio.draw_sub": "마우스, 펜 또는 터치",
    "studio.answer_title": "네트워크의 답",
    "studio.seen_title": "모델이 본 입력",
    "studio.maps_title": "특징 맵",
    "studio.maps_sub": "각 합성곱 레이어가 그림에서 계산한 것 · 밝을수록 강한 반응 · 칸을 클릭하면 계산 과정을 봅니다",
    "studio.explain_title": "특징 맵 한 칸의 계산",
    "studio.explain_hint": "합성곱 레이어의 특징 맵에서 한 칸을 클릭하세요: 그 칸이 읽는 입력의 윈도우가 모델이 본 그림 위에 "
                           "표시되고(레이어 0), 커널과 합이 나옵니다.",
    "studio.meant_title": "어떤 숫자를 그리려 했나요?",
    "studio.meant_hint": "의도한 클래스를 고르면, 그 답에 대해 네트워크가 치를 손실을 아래에 계산합니다 "
                         "(소프트맥스 출력층은 교차 엔트로피, 시그모이드 출력층은 이진 교차 엔트로피).",
    "studio.lang_switch": "English",
    "studio.undo": "되돌리기",
    "studio.clear": "지우기",
    "studio.pad_hint": "여기에 그리세요",
    "studio.seen_note": "MNIST 방식으로 전처리한 그림, 네트워크가 받는 그대로: 검은 바탕에 흰 잉크, 잉크에 맞춰 자르고, 20×20 상자에 맞춘 뒤 28×28 안에서 무게중심으로 가운데 정렬.",
    "studio.layers": "레이어",
    "studio.output": "출력층",
    "studio.training": "학습",
    "studio.data": "데이터",
    "studio.epochs": "에폭 (epochs)",
    "studio.batch_size": "배치 크기 (batch_size)",
    "studio.learning_rate": "학습률 (learning_rate)",
    "studio.shuffle": "셔플 (shuffle)",
    "studio.start": "학습 시작",
}
